"""Writing identity: persons, links, driver links and origins, always together."""
