"""Domain value objects, independent of storage and wire formats."""
