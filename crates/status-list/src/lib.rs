//! IETF Token Status List and W3C Bitstring Status List (pure)
