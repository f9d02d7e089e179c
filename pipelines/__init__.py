"""Item pipelines that run on crawled responses: extraction and its helpers."""
