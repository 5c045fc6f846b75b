"""What comes in: the column contract, the validating loader, provenance of rows."""
