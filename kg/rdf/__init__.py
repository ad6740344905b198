"""The graph stage and what reads it: RDF terms (namespace), the graph built from the records
(graph), the Oxigraph store (store), SPARQL (query), SHACL (validate) and exports (export)."""
