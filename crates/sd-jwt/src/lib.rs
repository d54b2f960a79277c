//! SD-JWT (RFC 9901), SD-JWT VC and Type Metadata (pure)
