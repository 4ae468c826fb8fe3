//! The shape quarry's token filters share: rewrite each token's text (or drop the token) with
//! some state built once per token stream, such as the stemmers in use.

use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// A per-token rewrite with per-stream state.
pub trait TokenMap: Clone + Send + Sync + 'static {
    /// State built once per token stream.
    type State;
    /// The state for a new stream.
    fn state(&self) -> Self::State;
    /// Rewrites `text` in place; returns false to drop the token.
    fn map(state: &Self::State, text: &mut String) -> bool;
}

/// A [`TokenMap`] as a tantivy token filter.
#[derive(Clone, Debug)]
pub struct MapFilter<M>(pub M);

/// A tokenizer followed by a [`TokenMap`].
#[derive(Clone)]
pub struct MapTokenizer<M, T> {
    map: M,
    inner: T,
}

impl<M: TokenMap> TokenFilter for MapFilter<M> {
    type Tokenizer<T: Tokenizer> = MapTokenizer<M, T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> MapTokenizer<M, T> {
        MapTokenizer {
            map: self.0,
            inner: tokenizer,
        }
    }
}

/// The token stream of a [`MapTokenizer`].
pub struct MapStream<M: TokenMap, S> {
    state: M::State,
    tail: S,
}

impl<M: TokenMap, T: Tokenizer> Tokenizer for MapTokenizer<M, T> {
    type TokenStream<'a> = MapStream<M, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MapStream {
            state: self.map.state(),
            tail: self.inner.token_stream(text),
        }
    }
}

impl<M: TokenMap, S: TokenStream> TokenStream for MapStream<M, S> {
    fn advance(&mut self) -> bool {
        while self.tail.advance() {
            if M::map(&self.state, &mut self.tail.token_mut().text) {
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
