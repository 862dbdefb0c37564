/*
 * libFuzzer harness over the OCI runtime's config.json parser
 * (tools/moat/oci_spec.c): a bundle's config.json comes from whoever runs
 * a container, and `moat update -r` and `moat exec --process` read the
 * same structures. Any input must give a parsed spec or a one-line error,
 * never a crash or a leak.
 *
 * Input: the document's bytes. Each entry point sees its part: the whole
 * config (oci_spec_parse), its "process" (oci_process_parse, as exec
 * --process) and its linux.resources (as update -r). Seeds:
 * tests/fuzz/seeds/fuzz_oci_spec (Docker's config and moat spec's, with
 * root.path "/").
 */
#include "../../tools/moat/oci_spec.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (getenv("FUZZ_WRITE_SEEDS"))
		exit(0); /* the seeds are files: tests/fuzz/seeds/fuzz_oci_spec */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!doc)
		return 0;
	char err[512];
	err[0] = 0;
	struct oci_spec sp;
	if (oci_spec_parse(doc, "/", &sp, err, sizeof(err)) == 0)
		oci_spec_free(&sp);
	else if (!err[0] || strchr(err, '\n'))
		abort(); /* an error is one line, always said */
	struct oci_process p;
	if (oci_process_parse(json_object_get(doc, "process"), &p, err, sizeof(err)) == 0)
		oci_process_free(&p);
	struct oci_resources r;
	oci_resources_init(&r);
	json_t *res = json_object_get(json_object_get(doc, "linux"), "resources");
	if (res)
		oci_resources_parse(res, "resources", &r, err, sizeof(err));
	json_decref(doc);
	return 0;
}
