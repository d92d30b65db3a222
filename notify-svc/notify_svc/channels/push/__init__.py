"""Push: every notice a person wants pushed, to each of their devices, through the device's vendor."""
