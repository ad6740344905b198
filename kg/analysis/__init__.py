"""Analyses over a structured, linked corpus: the document hierarchy (:mod:`.hierarchy`), measure
alignment and reuse (:mod:`.align`) and continuity of programs and indicators (:mod:`.continuity`)."""
