# drivers/fbcon.mk - the framebuffer console's font, generated at build time
# from an 8x16 PSF console font that a Debian package installs:
#   console-data          /usr/share/consolefonts/default8x16.psf.gz
#   console-setup-linux   /usr/share/consolefonts/Lat15-VGA16.psf.gz (and more)
# Set FBCON_FONT=path to pick another. With no font on the machine the
# generated file holds an empty font, and fbcon_init() declines the screen.
#
# Included by the Makefile after KERNEL_OBJ is set and before the rule that
# links kernel.elf; uses BUILD, KCFLAGS, NEWLIB_STAMP, DEPS_STAMP and Q.

FBCON_FONT ?=
FBCON_FONT_CANDIDATES := \
	/usr/share/consolefonts/default8x16.psf.gz \
	/usr/share/consolefonts/Lat15-VGA16.psf.gz \
	/usr/share/consolefonts/Uni2-VGA16.psf.gz \
	/usr/share/consolefonts/Lat15-Fixed16.psf.gz
FBCON_FONT_C := $(BUILD)/gen/fbcon_font.c
FBCON_FONT_O := $(BUILD)/gen/fbcon_font.o

# The font is looked for when the recipe runs, not when make reads this
# file, so a font that the deps step installs in this same run is found.
# Depending on the deps stamp regenerates the file after packages change.
$(FBCON_FONT_C): scripts/mkfont.py drivers/fbcon.mk $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  FONT    $@"
	$(Q)python3 scripts/mkfont.py -o $@ \
		$(or $(FBCON_FONT),$(FBCON_FONT_CANDIDATES))

$(FBCON_FONT_O): $(FBCON_FONT_C) $(NEWLIB_STAMP)
	@echo "  CC      $<"
	$(Q)gcc $(KCFLAGS) -c $< -o $@

KERNEL_OBJ += $(FBCON_FONT_O)
