//! sqlx PostgreSQL implementation of the Kakehashi stores
