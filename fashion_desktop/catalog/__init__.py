"""The catalog engine: a stylist's folder indexed into a store in the data directory, searched exactly."""
