//! Store traits, records and StorageError; no driver
