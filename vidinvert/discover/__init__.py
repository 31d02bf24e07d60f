"""Finding editing directions: closed-form SeFa, InterFaceGAN-style fitting on sampled or real
faces scored by the face mesh, the check of a direction on real faces, and contact sheets
(`vidinvert directions sefa|fit|fit-real`)."""
