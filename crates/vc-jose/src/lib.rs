//! W3C VC Data Model 2.0 secured with JOSE, Open Badges 3.0 profile (pure)
