"""Sources: PowerSchool extracts, OneRoster 1.1 CSV packages, the PowerSchool API."""
