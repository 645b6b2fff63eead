"""Topics (SDG focus areas) and the links of actors to them."""
