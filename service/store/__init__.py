"""Where the data lives and how queries reach it: the store interface, the embedded (pyoxigraph) and
remote (SPARQL 1.1) stores, the executor pool that runs queries under a time limit, the response
cache, and the per-version figures the load computes (link counts, home-page summary)."""
