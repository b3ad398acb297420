"""Rules of the streaming platform policy pack. Importing this package has no side effects."""
