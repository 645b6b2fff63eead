"""The actor network as a graph: loading (graph.py), analysis (gaps, findings, metrics) and the
reference checklist of the actor groups a complete process involves (reference.json)."""
