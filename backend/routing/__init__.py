"""Provider routing: which providers serve a corridor, in what order, and how they are reached."""
