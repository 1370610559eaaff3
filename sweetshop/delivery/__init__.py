"""The delivery person's view (/delivery): their orders out for delivery, the handover code,
money at the door, and orders that could not be delivered."""
