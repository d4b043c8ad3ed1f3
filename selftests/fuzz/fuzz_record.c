// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Fuzz target for the image record parser (tools/fastboot/image.c,
 * img_record_parse): the "img.<N>" blobs read back from the store, which
 * a damaged or hostile store controls.  The input is the record's bytes.
 * Oracle (img_check.h): an accepted record gives a well-formed image, and
 * formatting it again gives a record that parses back to the same image.
 */
#include "driver.h"
#include "img_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct img img;
	char why[128];

	memset(why, 0x55, sizeof(why));
	if (img_record_parse((const char *)data, size, &img, why, sizeof(why))) {
		check_str(why, sizeof(why), "reason");
		return 0;
	}
	check_img(&img);
	check_round_trip(&img);
	return 0;
}
