"""Which points of mediapipe's 468-point face mesh stand for the points the FFHQ recipe needs.

The FFHQ recipe speaks the 68-point convention: the eye centres are the means of points 36-41
(the eye on the image's left) and 42-47, the mouth corners are points 48 and 54. The mesh names
eyes from the subject's side, so its "right eye" contour is the eye on the image's left.
"""

from __future__ import annotations

MESH_POINT_COUNT = 468

# Eye contours (upper and lower lid), the eye on the image's left first.
EYE_IMAGE_LEFT = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
EYE_IMAGE_RIGHT = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)

# Outer mouth corners, standing for 68-point indices 48 and 54.
MOUTH_IMAGE_LEFT = 61
MOUTH_IMAGE_RIGHT = 291

NOSE_TIP = 1

# The face oval as a closed polygon, starting at the top of the forehead.
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)

# The same roles in the 68-point convention (face-alignment backend).
IBUG68_EYE_IMAGE_LEFT = tuple(range(36, 42))
IBUG68_EYE_IMAGE_RIGHT = tuple(range(42, 48))
IBUG68_MOUTH_IMAGE_LEFT = 48
IBUG68_MOUTH_IMAGE_RIGHT = 54
IBUG68_NOSE_TIP = 30
# Jaw line (0-16) then the brows from right to left (26-17): a closed face outline.
IBUG68_FACE_OUTLINE = tuple(range(0, 17)) + tuple(range(26, 16, -1))

# The lips' inner contour (the mouth opening), a closed polygon from the image's left corner.
LIPS_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)
# The lips' outer contour, a closed polygon from the image's left corner.
LIPS_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146)
# The brows' upper edges, the image's left brow first.
BROW_IMAGE_LEFT = (70, 63, 105, 66, 107)
BROW_IMAGE_RIGHT = (336, 296, 334, 293, 300)
# Points that an expression does not move: the eye corners, the nose bridge and tip, the forehead.
STABLE = (33, 133, 362, 263, 168, 6, 197, 195, 5, 4, 1, 10, 151, 9)
# The brows' lower edges, in the same order.
BROW_LOWER_IMAGE_LEFT = (46, 53, 52, 65, 55)
BROW_LOWER_IMAGE_RIGHT = (276, 283, 282, 295, 285)
#: The expression attributes measured from these points (`vidinvert.face.expression`).
ATTRIBUTES = ("smile", "mouth_open", "eyes_open", "brows_raised", "yaw", "pitch")
