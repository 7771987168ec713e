//! What a GET of recommendations may ask beyond its length, and which movies
//! that lets into the answer.
//!
//! [`ListRequest`] is the query as asked (`n`, `offset`, `genre`, `exclude`),
//! parsed with the same refusals as [`super::query`]; [`Filter`] is that
//! request checked against the catalogue (its genres must exist) and answers
//! one question for every path of [`super::Serving::recommend`]: may this
//! movie be shown? Hidden movies never may.

use std::borrow::Cow;
use std::collections::HashSet;

use super::catalogue::Catalogue;
use super::query::{count, QueryError, DEFAULT_N, MAX_N};

/// The furthest a page may start: a page ends at most at item 1,000.
pub const MAX_OFFSET: usize = 900;
/// The most movie ids `exclude` may hold.
pub const MAX_EXCLUDE: usize = 100;
/// The most genres `genre` may hold.
pub const MAX_GENRES: usize = 20;
/// The query parameters `GET /recommendations/{user}` takes. `code` is the
/// function key the Functions host accepts in the query and forwards.
pub const PARAMETERS: [&str; 5] = ["n", "offset", "genre", "exclude", "code"];

/// A GET's list: items `offset..offset + n` of the user's ordered list, of
/// the movies in any of `genres` (all when empty), leaving out `exclude`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    pub n: usize,
    pub offset: usize,
    /// As asked; [`Filter::new`] finds them in the catalogue.
    pub genres: Vec<String>,
    pub exclude: HashSet<i32>,
}

impl ListRequest {
    /// The first `n` items, unfiltered.
    pub fn first(n: usize) -> Self {
        ListRequest {
            n,
            offset: 0,
            genres: Vec::new(),
            exclude: HashSet::new(),
        }
    }

    /// How far into the user's ordered list the page reaches.
    pub fn end(&self) -> usize {
        self.offset + self.n
    }

    /// The request a query string's pairs state. `genre` and `exclude` take
    /// comma-separated values and may repeat; `n` and `offset` may not.
    pub fn from_query(pairs: &[(String, String)]) -> Result<Self, QueryError> {
        let mut request = ListRequest::first(DEFAULT_N);
        let mut seen = HashSet::new();
        for (name, value) in pairs {
            match name.as_str() {
                "n" | "offset" if !seen.insert(name.as_str()) => {
                    return Err(QueryError::new(
                        format!("{name} is given twice"),
                        format!("give {name} once"),
                    ))
                }
                "n" => request.n = count("n", Some(value), DEFAULT_N, MAX_N)?,
                "offset" => request.offset = parse_offset(value)?,
                "genre" => {
                    for genre in values(value) {
                        if genre.chars().count() > 100 {
                            return Err(QueryError::new(
                                format!("genre {:?}... is too long", truncated(genre)),
                                "a genre is a name such as Comedy",
                            ));
                        }
                        request.genres.push(genre.to_string());
                    }
                    if request.genres.len() > MAX_GENRES {
                        return Err(QueryError::new(
                            format!("genre names {} genres", request.genres.len()),
                            format!("ask for at most {MAX_GENRES} genres"),
                        ));
                    }
                }
                "exclude" => {
                    for id in values(value) {
                        let movie = id.parse::<i32>().map_err(|_| {
                            QueryError::new(
                                format!(
                                    "exclude={:?} holds {:?}, not a movie id",
                                    truncated(value),
                                    truncated(id)
                                ),
                                "exclude takes movie ids separated by commas, e.g. exclude=31,1029",
                            )
                        })?;
                        request.exclude.insert(movie);
                    }
                    if request.exclude.len() > MAX_EXCLUDE {
                        return Err(QueryError::new(
                            format!("exclude holds {} movie ids", request.exclude.len()),
                            format!("exclude at most {MAX_EXCLUDE} movies"),
                        ));
                    }
                }
                "code" => {}
                other => {
                    return Err(QueryError::new(
                        format!("unknown query parameter {:?}", truncated(other)),
                        format!("the parameters are {}", PARAMETERS[..4].join(", ")),
                    ))
                }
            }
        }
        Ok(request)
    }
}

fn parse_offset(raw: &str) -> Result<usize, QueryError> {
    raw.parse::<usize>()
        .ok()
        .filter(|v| *v <= MAX_OFFSET)
        .ok_or_else(|| {
            QueryError::new(
                format!("offset={:?} is out of range", truncated(raw)),
                format!("offset must be a whole number from 0 to {MAX_OFFSET}: the items before the page, e.g. offset=10&n=10 for the second page of 10"),
            )
        })
}

/// The non-empty comma-separated values of `raw`.
fn values(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(',').map(str::trim).filter(|v| !v.is_empty())
}

/// At most 40 characters of `raw`, for an error message.
fn truncated(raw: &str) -> String {
    raw.chars().take(40).collect()
}

/// A [`ListRequest`] checked against the catalogue.
pub struct Filter<'a> {
    catalogue: &'a Catalogue,
    /// The movies of any genre asked, sorted; `None` when none was asked.
    members: Option<Cow<'a, [i32]>>,
    exclude: &'a HashSet<i32>,
}

impl<'a> Filter<'a> {
    /// Refuses a genre the catalogue does not have, naming the ones it has.
    pub fn new(request: &'a ListRequest, catalogue: &'a Catalogue) -> Result<Self, QueryError> {
        let mut genres = Vec::with_capacity(request.genres.len());
        for asked in &request.genres {
            let Some(genre) = catalogue.genre(asked) else {
                let known: Vec<&str> = catalogue.genre_names().collect();
                return Err(QueryError::new(
                    format!("genre {asked:?} is not a genre of the catalogue"),
                    format!("the genres are {}", known.join(", ")),
                ));
            };
            genres.push(genre);
        }
        genres.sort_unstable();
        genres.dedup();
        let members = match genres.as_slice() {
            [] => None,
            [one] => Some(Cow::Borrowed(catalogue.members(one))),
            several => {
                let mut union: Vec<i32> = several
                    .iter()
                    .flat_map(|g| catalogue.members(g).iter().copied())
                    .collect();
                union.sort_unstable();
                union.dedup();
                Some(Cow::Owned(union))
            }
        };
        Ok(Filter {
            catalogue,
            members,
            exclude: &request.exclude,
        })
    }

    /// Only hidden movies are left out.
    pub fn hidden_only(catalogue: &'a Catalogue, none: &'a HashSet<i32>) -> Self {
        Filter {
            catalogue,
            members: None,
            exclude: none,
        }
    }

    /// Whether `movie` may be in the answer. Asked for every movie the
    /// model scores, so what was not asked costs no lookup.
    pub fn keeps(&self, movie: i32) -> bool {
        if !self.exclude.is_empty() && self.exclude.contains(&movie) {
            return false;
        }
        if self.catalogue.is_hidden(movie) {
            return false;
        }
        match &self.members {
            None => true,
            // A movie the catalogue lacks has no genre: not kept.
            Some(members) => members.binary_search(&movie).is_ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use movierec_store::Movie;

    fn pairs(q: &str) -> Vec<(String, String)> {
        q.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), v.to_string())
            })
            .collect()
    }

    #[test]
    fn a_query_states_its_page_genres_and_exclusions() {
        let r = ListRequest::from_query(&pairs(
            "n=5&offset=10&genre=Comedy,Drama&genre=sci-fi&exclude=3,4&exclude=5&code=key",
        ))
        .unwrap();
        assert_eq!((r.n, r.offset, r.end()), (5, 10, 15));
        assert_eq!(r.genres, ["Comedy", "Drama", "sci-fi"]);
        assert_eq!(r.exclude, HashSet::from([3, 4, 5]));
        assert_eq!(
            ListRequest::from_query(&[]).unwrap(),
            ListRequest::first(DEFAULT_N)
        );
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        for (q, says) in [
            ("offset=-1", "offset="),
            ("offset=901", "offset="),
            ("offset=ten", "offset="),
            ("n=0", "n="),
            ("n=3&n=4", "n is given twice"),
            ("exclude=3,x", "not a movie id"),
            ("exclude=99999999999", "not a movie id"),
            ("genres=Comedy", "unknown query parameter"),
        ] {
            let e = ListRequest::from_query(&pairs(q)).unwrap_err();
            assert!(e.message.contains(says), "{q}: {e}");
            assert!(!e.hint.is_empty());
        }
        let many: String = (0..=MAX_EXCLUDE)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let e = ListRequest::from_query(&pairs(&format!("exclude={many}"))).unwrap_err();
        assert!(e.hint.contains("at most 100"), "{e:?}");
    }

    #[test]
    fn the_filter_keeps_asked_genres_and_never_hidden_or_excluded_movies() {
        let movie = |id, genres: &[&str], hidden| Movie {
            id,
            title: format!("m{id}"),
            genres: genres.iter().map(|g| g.to_string()).collect(),
            hidden,
        };
        let catalogue = Catalogue::new(vec![
            movie(1, &["Comedy"], false),
            movie(2, &["Drama", "Comedy"], false),
            movie(3, &["Comedy"], true),
            movie(4, &["Horror"], false),
        ]);
        let request = ListRequest::from_query(&pairs("genre=comedy&exclude=1")).unwrap();
        let filter = Filter::new(&request, &catalogue).unwrap();
        let kept: Vec<i32> = (1..=5).filter(|&m| filter.keeps(m)).collect();
        assert_eq!(kept, [2]);
        let none = HashSet::new();
        let open = Filter::hidden_only(&catalogue, &none);
        let kept: Vec<i32> = (1..=5).filter(|&m| open.keeps(m)).collect();
        assert_eq!(kept, [1, 2, 4, 5]);
        let unknown = ListRequest::from_query(&pairs("genre=Western")).unwrap();
        let e = Filter::new(&unknown, &catalogue).err().unwrap();
        assert!(
            e.message.contains("\"Western\"") && e.hint.contains("Comedy, Drama, Horror"),
            "{e:?}"
        );
    }
}
