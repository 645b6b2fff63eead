"""The Aachen demo data set."""
