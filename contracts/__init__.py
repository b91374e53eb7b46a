"""The bottom layer: the messages that cross process boundaries and small value types.

``messages`` (Document, ScoredDocument, Alert, …), ``topics`` (the bus's topic names),
``urls`` (canonical URLs and document ids), ``clock`` (time as a parameter) and
``language`` (which texts are Chinese). Imports nothing of the project and does no I/O;
every other package may import it.
"""
