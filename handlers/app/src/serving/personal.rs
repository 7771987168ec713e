//! The decision at the heart of a GET, with no I/O: a user's list from a
//! ranking model is ordered by their trained row when the model has one and
//! they have not rated since, else by a vector folded in from their current
//! ratings; the movies they rated are left out, and so is any movie the
//! caller's filter refuses. The HTTP path and `movierec recommend` both call
//! [`personal_list`].

use movierec_core::model::AlsModel;
use movierec_core::topn::{top_n_for_vector_where, Scored};

use super::Source;

/// A user's list from the ranking model.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonalList {
    /// [`Source::Model`] (the trained row) or [`Source::FoldIn`].
    pub source: Source,
    /// Best first, rated movies left out.
    pub items: Vec<Scored>,
    /// How many of the rated movies the model knows (and so left out).
    pub left_out: usize,
}

/// Which vector ranks a user the model may know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRow {
    /// Their trained row when the model has one: their ratings are the ones
    /// it was trained on (or the published list was made from).
    Trained,
    /// Folded in from the ratings given, even for a user the model knows:
    /// they rated since, and the trained row does not know it.
    Current,
}

/// The vector that ranks `user` (who rated `rated`, movie and rating) and
/// what it is: their trained row ([`Source::Model`]) when `row` allows it and
/// the model has one, else one folded in ([`Source::FoldIn`]). `None` when
/// neither can be had (the model knows none of the movies they rated).
pub fn user_vector(
    model: &AlsModel,
    user: i32,
    rated: &[(i32, f32)],
    row: UserRow,
) -> Result<Option<(Vec<f32>, Source)>, movierec_core::als::SolveError> {
    let trained = model.users.get(user).filter(|_| row == UserRow::Trained);
    Ok(match trained {
        Some(u) => Some((model.user_factors.row(u as usize).to_vec(), Source::Model)),
        None => model.fold_in(rated)?.map(|v| (v, Source::FoldIn)),
    })
}

/// The top `n` of `model` for `vector` (a user's, see [`user_vector`]),
/// leaving out the movies of `rated` and any that `keep` refuses.
pub fn ranked_list(
    model: &AlsModel,
    vector: &[f32],
    source: Source,
    rated: &[(i32, f32)],
    n: usize,
    keep: impl Fn(i32) -> bool,
) -> PersonalList {
    let mut exclude: Vec<u32> = rated
        .iter()
        .filter_map(|&(m, _)| model.items.get(m))
        .collect();
    exclude.sort_unstable();
    exclude.dedup();
    let items = top_n_for_vector_where(
        model,
        vector,
        |i| exclude.binary_search(&i).is_err() && keep(model.items.id(i)),
        n,
    );
    PersonalList {
        source,
        items,
        left_out: exclude.len(),
    }
}

/// The top `n` of `model` for `user`, who rated `rated` (movie, rating),
/// among the movies `keep` accepts, ranked by the vector `row` names. `None`
/// when the model has no row for the user (or must not use it) and knows none
/// of the movies they rated: nothing personal can be said (callers fall back
/// to the popular list, or say so).
pub fn personal_list(
    model: &AlsModel,
    user: i32,
    rated: &[(i32, f32)],
    n: usize,
    row: UserRow,
    keep: impl Fn(i32) -> bool,
) -> Result<Option<PersonalList>, movierec_core::als::SolveError> {
    Ok(user_vector(model, user, rated, row)?
        .map(|(vector, source)| ranked_list(model, &vector, source, rated, n, keep)))
}
