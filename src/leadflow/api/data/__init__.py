"""Data access for the API: store reads and writes shaped as the API's response models."""
