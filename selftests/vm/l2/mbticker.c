// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * mbticker: a bare-metal L2 guest for `make bench` section 3 (VM blackout),
 * booted by QEMU's -kernel as a Multiboot (v1) ELF, 32-bit, no OS.
 *
 * Why not the Linux ticker (ticker.c): the Debian kernel's image occupies
 * physical 16 MiB to about 74 MiB (ELF program headers of the vmlinux),
 * so a Linux guest cannot run in 64 MiB of RAM, one of the sizes the
 * benchmark measures; and a Linux L2 takes minutes to boot under nested
 * TCG.  This one boots at once and runs in any RAM size from 8 MiB.
 *
 * It prints "ticker: start boot=ID ram=N MiB" (a random ID, once per
 * boot), fills every page from 2 MiB to the top of RAM with a value of its
 * own (non-zero, unique per page, so a save of the VM state has to write
 * all of it, as for a guest whose RAM is in use), prints "ticker: filled
 * N MiB", then at every RTC update interrupt (once a second, the CPU
 * halted in between) prints
 *
 *     tick N
 *
 * with N counting up from 1 in this boot (a restored VM goes on counting).
 * After each tick it checks the first word of every page in one eighth
 * of the filled range (all of it every 8 ticks) and prints "CORRUPT ..."
 * for a changed one.  Output goes to COM1 (-serial).
 *
 * Build (scripts/mkl2disk.sh): gcc -m32 -ffreestanding -nostdlib -static
 *   -fno-pic -fno-pie -no-pie -O2 -Wl,-T,mbticker.ld
 */
#include <stdint.h>

#define MB_BOOT_MAGIC	0x2BADB002u
#define FILL_START	(2u << 20)
#define PAGE		4096u
#define SLICES		8u
#define COM1		0x3f8

/* The Multiboot header (first thing in .text, see mbticker.ld), the entry
 * point and the interrupt stubs. */
__asm__(
	".section .multiboot, \"a\"\n"
	".align 4\n"
	".long 0x1BADB002\n"
	".long 0x00000002\n"
	".long -(0x1BADB002 + 0x00000002)\n"
	".text\n"
	".globl _start\n"
	"_start:\n"
	"	cli\n"
	"	movl $mb_stack + 16384, %esp\n"
	"	pushl %ebx\n"
	"	pushl %eax\n"
	"	call kmain\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	"isr_fault:\n"
	"	cli\n"
	"	call fault_c\n"
	"2:	hlt\n"
	"	jmp 2b\n"
	"isr_rtc:\n"
	"	pushal\n"
	"	cld\n"
	"	call rtc_c\n"
	"	popal\n"
	"	iretl\n"
	"isr_spurious:\n"
	"	pushal\n"
	"	cld\n"
	"	call spurious_c\n"
	"	popal\n"
	"	iretl\n"
	"reload_segments:\n"
	"	ljmp $0x08, $3f\n"
	"3:	movw $0x10, %ax\n"
	"	movw %ax, %ds\n"
	"	movw %ax, %es\n"
	"	movw %ax, %fs\n"
	"	movw %ax, %gs\n"
	"	movw %ax, %ss\n"
	"	ret\n");

void isr_fault(void);
void isr_rtc(void);
void isr_spurious(void);
void reload_segments(void);

struct mb_info {
	uint32_t flags, mem_lower, mem_upper;
};

uint8_t mb_stack[16384] __attribute__((aligned(16)));

static uint64_t gdt[3] __attribute__((aligned(8))) = {
	0,
	0x00cf9a000000ffffull,	/* 0x08: code, flat 4 GiB */
	0x00cf92000000ffffull,	/* 0x10: data, flat 4 GiB */
};
static uint64_t idt[256] __attribute__((aligned(8)));

static volatile uint32_t rtc_ticks;
static uint32_t fill_end, fill_pages;

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc_(char c)
{
	int i;

	for (i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, (uint8_t)c);
}

static void puts_(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			putc_('\r');
		putc_(*s);
	}
}

static void putdec(uint32_t v)
{
	char b[12];
	int i = 11;

	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_(&b[i]);
}

static void puthex(uint32_t v)
{
	int i;

	for (i = 28; i >= 0; i -= 4)
		putc_("0123456789abcdef"[(v >> i) & 15]);
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, 0x80 | reg);		/* bit 7: NMI stays disabled */
	return inb(0x71);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(0x70, 0x80 | reg);
	outb(0x71, v);
}

/* the value of every word of the page at address a: never 0, one per page */
static uint32_t page_value(uint32_t a)
{
	uint32_t x = a ^ 0x5bd1e995u;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return x | 1;
}

static void set_gate(int vec, void (*fn)(void))
{
	uint32_t a = (uint32_t)(uintptr_t)fn;

	/* 32-bit interrupt gate, present, DPL 0, selector 0x08 */
	idt[vec] = (a & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
		   ((uint64_t)(a >> 16) << 48);
}

void fault_c(void)
{
	puts_("ticker: CPU exception, halted\n");
}

void rtc_c(void)
{
	(void)cmos(0x0c);		/* acknowledge: read register C */
	outb(0xa0, 0x20);		/* EOI to the slave PIC */
	outb(0x20, 0x20);		/* and to the master */
	rtc_ticks++;
}

void spurious_c(void)
{
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

static void setup_cpu(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (uint32_t)(uintptr_t)gdt },
	  idtr = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };
	int v;

	__asm__ volatile("lgdt %0" : : "m"(gdtr));
	reload_segments();
	for (v = 0; v < 32; v++)
		set_gate(v, isr_fault);
	for (v = 32; v < 256; v++)
		set_gate(v, isr_spurious);
	set_gate(0x28, isr_rtc);	/* IRQ 8, after the remap below */
	__asm__ volatile("lidt %0" : : "m"(idtr));

	/* PICs: IRQ 0-7 at vector 0x20, 8-15 at 0x28; only IRQ 2 (the
	 * cascade) and IRQ 8 (the RTC) unmasked */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 0x20);
	outb(0xa1, 0x28);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xfb);
	outb(0xa1, 0xfe);

	/* COM1: 115200 8N1, no interrupts */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x80);
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);
	outb(COM1 + 2, 0xc7);
}

static void fill(void)
{
	uint32_t a;

	for (a = FILL_START; a < fill_end; a += PAGE) {
		uint32_t v = page_value(a), n = PAGE / 4;
		void *p = (void *)(uintptr_t)a;

		__asm__ volatile("cld; rep stosl"
				 : "+D"(p), "+c"(n) : "a"(v) : "memory");
	}
}

/* check the first word of every page in slice s (of SLICES) */
static void check(uint32_t tick, uint32_t s)
{
	uint32_t per = fill_pages / SLICES, i;

	for (i = s * per; i < (s + 1) * per; i++) {
		uint32_t a = FILL_START + i * PAGE;
		uint32_t got = *(volatile uint32_t *)(uintptr_t)a;

		if (got != page_value(a)) {
			puts_("CORRUPT tick ");
			putdec(tick);
			puts_(" page ");
			puthex(a);
			puts_(": ");
			puthex(got);
			puts_(" want ");
			puthex(page_value(a));
			puts_("\n");
		}
	}
}

void kmain(uint32_t magic, const struct mb_info *mbi)
{
	uint32_t tick = 0, seen = 0, top, lo, hi;

	setup_cpu();
	if (magic != MB_BOOT_MAGIC || !(mbi->flags & 1)) {
		puts_("ticker: not started by a Multiboot loader with memory information\n");
		return;
	}
	top = (1u << 20) + mbi->mem_upper * 1024u;
	fill_end = top & ~(PAGE - 1);
	fill_pages = fill_end > FILL_START ? (fill_end - FILL_START) / PAGE : 0;
	if (fill_end < FILL_START)
		fill_end = FILL_START;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	puts_("ticker: start boot=");
	puthex(hi ^ ((uint32_t)cmos(0x00) << 24 | (uint32_t)cmos(0x02) << 16 |
		     (uint32_t)cmos(0x04) << 8 | cmos(0x07)));
	puthex(lo);
	puts_(" ram=");
	putdec((top + (1u << 19)) >> 20);
	puts_(" MiB\n");
	fill();
	puts_("ticker: filled ");
	putdec((fill_pages * PAGE) >> 20);
	puts_(" MiB\n");

	/* RTC: update-ended interrupt (once a second) only */
	cmos_write(0x0b, (uint8_t)((cmos(0x0b) & ~0x60) | 0x10));
	(void)cmos(0x0c);
	outb(0x70, 0x0d);		/* NMI enabled again */
	(void)inb(0x71);
	for (;;) {
		/* sti; hlt: no interrupt is taken between the two */
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		if (rtc_ticks == seen)
			continue;
		seen = rtc_ticks;
		tick++;
		/* the tick first: it tells that the guest runs again (the
		 * benchmark's blackout ends with the first tick after a
		 * restore), the check is the guest's own work after that */
		puts_("tick ");
		putdec(tick);
		puts_("\n");
		check(tick, tick % SLICES);
	}
}
