#!/usr/bin/env python3
"""The issue-27 population shift against a running `movierec serve` (bundled data published).

8,000 new users with 5 ratings each, copied from random known users (seeded), and a new movie
(id 999999, added through POST /movies) rated 5 stars by 150 known and 150 new users, through
POST /events; then POST /RetrainModel and POST /RecommendAllUsers. Prints the retrain's
decision, the new movie's similar movies once published, and how many of 400 sampled users
have it in their top 10 and top 50.

Usage: python3 bench/shift_live.py http://127.0.0.1:PORT   (run from the project root)
"""
import csv
import json
import random
import sys
import time
import urllib.error
import urllib.request

base = sys.argv[1]
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return r.status, json.loads(r.read() or b"null")
random.seed(7)
by_user = {}
for row in csv.DictReader(open("data/ml-latest-small/ratings.csv")):
    by_user.setdefault(int(row["userId"]), []).append((int(row["movieId"]), float(row["rating"])))
users = sorted(by_user)
print(call("POST", "/movies", [{"movie_id": 999999, "title": "A New Movie (2026)", "genres": ["Drama"]}]))
events = []
for j in range(8000):
    u = 100000 + j
    src = by_user[random.choice(users)]
    for m, r in random.sample(src, min(5, len(src))):
        events.append({"UserId": u, "MovieId": m, "Rating": r, "Timestamp": 1760000000})
raters = random.sample(users, 150) + [100000 + j for j in range(150)]
events += [{"UserId": u, "MovieId": 999999, "Rating": 5.0, "Timestamp": 1760000001} for u in raters]
for i in range(0, len(events), 500):
    s, _ = call("POST", "/events", events[i:i+500])
    assert s == 200
print("events", len(events))
s, r = call("POST", "/RetrainModel", {})
print("retrain", json.dumps(r)[:600])
s, r = call("POST", "/RecommendAllUsers", {})
print("recommend", json.dumps(r)[:400])
for _ in range(120):
    try:
        call("GET", "/movies/999999/similar?n=5"); break
    except urllib.error.HTTPError:
        time.sleep(1)
try:
    s, sim = call("GET", "/movies/999999/similar?n=5")
    print("similar", s, [i["title"] for i in sim["items"]])
except urllib.error.HTTPError as e:
    print("similar", e.code, e.read()[:200])
hits = 0
sample = random.sample(users, 200) + [100000 + j for j in range(150, 350)]
for u in sample:
    s, rec = call("GET", f"/recommendations/{u}?n=10")
    if any(i["movie_id"] == 999999 for i in rec["items"]): hits += 1
    version = rec["model_version"]
print("lists with the new movie in the top 10:", hits, "of", len(sample), "model version", version)
hits50 = 0
for u in sample:
    s, rec = call("GET", f"/recommendations/{u}?n=50")
    if any(i["movie_id"] == 999999 for i in rec["items"]): hits50 += 1
print("in the top 50:", hits50, "of", len(sample))
