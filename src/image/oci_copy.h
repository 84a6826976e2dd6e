// Copying content between OCI layouts: a base image into the project's store, or an image
// an external builder exported into a scratch layout. Blobs are verified against their
// digests on the way in; nothing is tagged here.
#pragma once

#include <string_view>

#include "image/descriptor.h"
#include "image/oci_layout.h"

namespace mlbox::image {

// Copies one blob from `from` into `to` (nothing when `to` has it), checking the bytes
// against the descriptor's digest. Throws Error(kConfig) naming the layout when the blob is
// missing or corrupt.
void copy_blob(const OciLayout& from, OciLayout& to, const Descriptor& descriptor);

// Copies the image `tag` names in `from` (config, layers and the manifest itself, byte for
// byte, so the digest is kept) into `to`; returns the manifest's descriptor.
Descriptor copy_image(const OciLayout& from, std::string_view tag, OciLayout& to);

}  // namespace mlbox::image
