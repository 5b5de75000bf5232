"""Early-detection programmes: FH and hereditary breast cancer, cascade testing, polygenic scores."""
