//! The shape quarry's token filters share: rewrite each token's text (or drop the token) with
//! some state, such as the stemmers in use and a cache of their results. The state lives with the
//! tokenizer, so it is built once per indexing thread and field, not once per passage, and a cache
//! in it serves every document that thread indexes.

use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// A per-token rewrite with per-stream state.
pub trait TokenMap: Clone + Send + Sync + 'static {
    /// State built once per tokenizer (a tokenizer is cloned per indexing thread).
    type State: Send + Sync;
    /// The state for a new tokenizer.
    fn state(&self) -> Self::State;
    /// Rewrites `text` in place; returns false to drop the token.
    fn map(state: &mut Self::State, text: &mut String) -> bool;
}

/// A [`TokenMap`] as a tantivy token filter.
#[derive(Clone, Debug)]
pub struct MapFilter<M>(pub M);

/// A tokenizer followed by a [`TokenMap`].
pub struct MapTokenizer<M: TokenMap, T> {
    map: M,
    inner: T,
    state: M::State,
}

impl<M: TokenMap, T: Clone> Clone for MapTokenizer<M, T> {
    /// A clone starts with fresh state (an empty cache).
    fn clone(&self) -> Self {
        MapTokenizer {
            map: self.map.clone(),
            inner: self.inner.clone(),
            state: self.map.state(),
        }
    }
}

impl<M: TokenMap> TokenFilter for MapFilter<M> {
    type Tokenizer<T: Tokenizer> = MapTokenizer<M, T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> MapTokenizer<M, T> {
        MapTokenizer {
            state: self.0.state(),
            map: self.0,
            inner: tokenizer,
        }
    }
}

/// The token stream of a [`MapTokenizer`].
pub struct MapStream<'a, M: TokenMap, S> {
    state: &'a mut M::State,
    tail: S,
}

impl<M: TokenMap, T: Tokenizer> Tokenizer for MapTokenizer<M, T> {
    type TokenStream<'a> = MapStream<'a, M, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MapStream {
            state: &mut self.state,
            tail: self.inner.token_stream(text),
        }
    }
}

impl<M: TokenMap, S: TokenStream> TokenStream for MapStream<'_, M, S> {
    fn advance(&mut self) -> bool {
        while self.tail.advance() {
            if M::map(self.state, &mut self.tail.token_mut().text) {
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}
