//! sqlx SQLite implementation of the Kakehashi stores
