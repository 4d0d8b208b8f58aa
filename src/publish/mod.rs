//! Publishers: one renderer per output format. Each takes a `Review` and writes it.
//! (being written)
