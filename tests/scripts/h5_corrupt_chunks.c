/* h5_corrupt_chunks.c - test helper for t_rank_failure.sh.
 *
 *   h5_corrupt_chunks FILE DATASET FROM_ROW [TO_ROW]
 *
 * Replaces the stored bytes of every chunk of the 1-D chunked DATASET whose
 * first row is at or after FROM_ROW (and before TO_ROW, when given) with
 * bytes no deflate stream starts with.  The file's metadata (superblock, object headers, chunk
 * index) stays valid, so planning and the rows before FROM_ROW read normally; reading a replaced
 * chunk fails in HDF5's filter pipeline.  This is how the test makes one rank's share of a file
 * unreadable while the other ranks' share is fine.
 *
 * Built by the test script itself (it is not part of the project build):
 *   cc h5_corrupt_chunks.c $(pkg-config --cflags --libs hdf5-openmpi)
 * Exit code: 0 when at least one chunk was replaced, 1 otherwise. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    /* 0xFF...: a deflate (zlib) header must have (CMF*256+FLG) % 31 == 0
     * and CM == 8; 0xFFFF has neither, so inflate fails at once. */
    unsigned char junk[64];
    hid_t file = -1, dset = -1, space = -1;
    hsize_t nchunks = 0, i, *offsets = NULL, from, to = (hsize_t)-1;
    size_t n = 0, k;
    char *end = NULL;
    int rc = 1;

    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: %s FILE DATASET FROM_ROW [TO_ROW]\n", argv[0]);
        return 1;
    }
    if (argc == 5) {
        to = (hsize_t)strtoull(argv[4], &end, 10);
        if (end == argv[4] || *end != '\0') {
            fprintf(stderr, "h5_corrupt_chunks: TO_ROW '%s' is not a number\n", argv[4]);
            return 1;
        }
    }
    from = (hsize_t)strtoull(argv[3], &end, 10);
    if (end == argv[3] || *end != '\0') {
        fprintf(stderr, "h5_corrupt_chunks: FROM_ROW '%s' is not a number\n", argv[3]);
        return 1;
    }
    memset(junk, 0xFF, sizeof junk);
    file = H5Fopen(argv[1], H5F_ACC_RDWR, H5P_DEFAULT);
    if (file >= 0)
        dset = H5Dopen2(file, argv[2], H5P_DEFAULT);
    if (dset >= 0)
        space = H5Dget_space(dset);
    if (space < 0 || H5Dget_num_chunks(dset, space, &nchunks) < 0) {
        fprintf(stderr, "h5_corrupt_chunks: cannot open %s in %s\n", argv[2], argv[1]);
        goto cleanup;
    }
    /* Collect the offsets first: rewriting a chunk may move it in the file
     * and so change what the chunk index enumerates next. */
    offsets = calloc(nchunks > 0 ? (size_t)nchunks : 1, sizeof *offsets);
    if (offsets == NULL)
        goto cleanup;
    for (i = 0; i < nchunks; i++) {
        hsize_t off = 0, size = 0;
        unsigned mask = 0;
        haddr_t addr = 0;
        if (H5Dget_chunk_info(dset, space, i, &off, &mask, &addr, &size) < 0) {
            fprintf(stderr, "h5_corrupt_chunks: cannot read chunk %llu's info\n",
                    (unsigned long long)i);
            goto cleanup;
        }
        if (off >= from && off < to)
            offsets[n++] = off;
    }
    for (k = 0; k < n; k++) {
        if (H5Dwrite_chunk(dset, H5P_DEFAULT, 0, &offsets[k], sizeof junk, junk) < 0) {
            fprintf(stderr, "h5_corrupt_chunks: cannot rewrite the chunk at row %llu\n",
                    (unsigned long long)offsets[k]);
            goto cleanup;
        }
        printf("corrupted %s chunk at row %llu\n", argv[2], (unsigned long long)offsets[k]);
    }
    rc = n > 0 ? 0 : 1;
    if (n == 0)
        fprintf(stderr, "h5_corrupt_chunks: no chunk starts at or after row %llu\n",
                (unsigned long long)from);
cleanup:
    free(offsets);
    if (space >= 0)
        H5Sclose(space);
    if (dset >= 0)
        H5Dclose(dset);
    if (file >= 0 && H5Fclose(file) < 0)
        rc = 1;
    return rc;
}
