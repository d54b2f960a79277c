//! X.509 paths, ETSI TS 119 612 trusted lists, mutual-recognition policy (pure)
