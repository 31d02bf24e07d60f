"""How pictures cross between the stream's YUV and the pipeline's RGB.

libswscale's default YUV-to-RGB path rounds chroma and luma coarsely: a decode and re-encode of an
unchanged 8-bit 4:2:0 frame darkens it by about one luma level on average. With accurate rounding
and full-resolution chroma interpolation the round trip returns the luma plane exactly and the
chroma planes to within a few hundredths of a level on average, at about 1 ms more per 360p frame
(5 ms at 1080p).
"""

from av.video.reformatter import Interpolation

#: swscale flags for decoding a YUV frame to RGB.
TO_RGB = Interpolation.BILINEAR | Interpolation.ACCURATE_RND | Interpolation.FULL_CHR_H_INT
#: swscale flags for encoding an RGB picture back to the stream's pixel format.
FROM_RGB = Interpolation.BILINEAR | Interpolation.ACCURATE_RND
