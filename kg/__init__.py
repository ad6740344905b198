"""policy-kg: Chinese education policy plans to an evidence-backed RDF knowledge graph.

The pipeline, one module per stage: ingest -> structure -> extract -> link -> graph,
then query / view / report. See docs/ARCHITECTURE.md.
"""
__version__ = "0.1.0"
