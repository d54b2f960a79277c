//! `kakehashi-load`: drives a running Kakehashi node over https the way real wallets do, for
//! soak tests and focused HTTP benchmarks (BENCHMARKS.md, "HTTP end to end and load").
//!
//! Not a library for anything else: an edge tool with the clock, the network and child
//! processes. The wallets are the real `kakehashi-wallet` library; nothing is mocked.

// A measuring edge tool: it times requests, so it reads the clock by design.
#![allow(clippy::disallowed_methods)]

pub mod node;
pub mod soak;
pub mod stats;
pub mod vci_bench;
pub mod vp_bench;
