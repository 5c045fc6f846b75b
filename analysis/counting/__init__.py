"""The numbers: attacks per period under date uncertainty."""
