"""Privacy when someone else may see the screen or the disk: discreet mode and the app lock."""
