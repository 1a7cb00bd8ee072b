/* A C program with gatenet's XOR model compiled in: no ONNX runtime, no heap, only <math.h>.
 *
 * xor.h comes from `gatenet export-c XOR --out examples/c` (the verified exported/xor.onnx).
 * Build and run:  cc -std=c99 -Wall -Wextra -Werror -pedantic main.c -o xor-demo -lm && ./xor-demo
 */
#include <stdio.h>

#include "xor.h"

int main(void)
{
    float bits[XOR_INPUTS], out[XOR_OUTPUTS];
    int failing = xor_verify(); /* the header proves its own weights against the truth table */

    printf("a b | out\n");
    for (long row = 0; row < XOR_ROWS; ++row) {
        for (int i = 0; i < XOR_INPUTS; ++i)
            bits[i] = (float)((row >> (XOR_INPUTS - 1 - i)) & 1);
        xor_probabilities(bits, out);
        printf("%d %d | %d (%.3f)\n", (int)bits[0], (int)bits[1], out[0] > 0.5f, (double)out[0]);
    }
    if (failing) {
        fprintf(stderr, "xor.h: %d rows miss the verified margin %.2f\n", failing, XOR_MARGIN);
        return 1;
    }
    printf("xor.h verified: every row is at least %.2f from 0.5 on the right side\n", XOR_MARGIN);
    return 0;
}
