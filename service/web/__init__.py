"""The HTTP interface: the Flask app and its server, the SPARQL endpoint, Linked Data pages, saved-query
endpoints and browser pages, with content negotiation and conditional requests shared among them."""
