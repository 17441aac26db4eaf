"""QThread glue only: each worker is a QObject moved to its own QThread that owns its models and store."""
