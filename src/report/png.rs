//! PNG copies of the SVG figures, for slides: rendered with `resvg` and the system's fonts
//! (DejaVu on Debian). Text renders only if a sans-serif font is installed; the shapes always do.
//!
//! Compiled with the default `png` feature only (`--no-default-features` builds without resvg).
//! Fonts are read from the standard directories (`/usr/share/fonts`, `/usr/local/share/fonts`,
//! `~/.fonts`, `~/.local/share/fonts` on Linux) without parsing fontconfig's configuration, which
//! keeps a second XML parser out of the build; the generic sans-serif family is mapped below.

use crate::error::{Error, Result};
use resvg::{tiny_skia, usvg};
use std::path::Path;

/// Renders SVG documents to PNG, loading the system fonts once.
pub struct Rasteriser {
    options: usvg::Options<'static>,
}

impl Default for Rasteriser {
    fn default() -> Self {
        Self::new()
    }
}

impl Rasteriser {
    /// Loads the system fonts.
    pub fn new() -> Self {
        let mut options = usvg::Options::default();
        let fonts = options.fontdb_mut();
        fonts.load_system_fonts();
        // Map the generic families the figures use to DejaVu (Debian's default) when present.
        if fonts.faces().any(|f| f.families.iter().any(|(name, _)| name == "DejaVu Sans")) {
            fonts.set_sans_serif_family("DejaVu Sans");
            options.font_family = "DejaVu Sans".to_string();
        }
        Rasteriser { options }
    }

    /// The PNG bytes of an SVG document; `name` is for error messages.
    ///
    /// # Errors
    /// [`Error::Serialise`] if the SVG does not parse or the image cannot be encoded.
    pub fn png(&self, name: &Path, svg: &str) -> Result<Vec<u8>> {
        let fail = |message: String| Error::Serialise { path: name.to_path_buf(), message };
        let tree = usvg::Tree::from_str(svg, &self.options).map_err(|e| fail(e.to_string()))?;
        let size = tree.size().to_int_size();
        let mut pixmap =
            tiny_skia::Pixmap::new(size.width(), size.height()).ok_or_else(|| fail("empty image".into()))?;
        pixmap.fill(tiny_skia::Color::WHITE);
        resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
        pixmap.encode_png().map_err(|e| fail(e.to_string()))
    }
}

/// The PNG file name of a report figure's SVG file name (`None` for other files).
pub fn png_name(svg: &str) -> Option<&'static str> {
    const NAMES: [(&str, &str); 15] = [
        ("qalys.svg", "qalys.png"),
        ("model.svg", "model.png"),
        ("survival.svg", "survival.png"),
        ("costs.svg", "costs.png"),
        ("ceac.svg", "ceac.png"),
        ("ce_plane.svg", "ce_plane.png"),
        ("tornado.svg", "tornado.png"),
        ("occupancy_1.svg", "occupancy_1.png"),
        ("occupancy_2.svg", "occupancy_2.png"),
        ("occupancy_3.svg", "occupancy_3.png"),
        ("occupancy_4.svg", "occupancy_4.png"),
        ("occupancy_5.svg", "occupancy_5.png"),
        ("occupancy_6.svg", "occupancy_6.png"),
        ("occupancy_7.svg", "occupancy_7.png"),
        ("occupancy_8.svg", "occupancy_8.png"),
    ];
    NAMES.iter().find(|(s, _)| *s == svg).map(|(_, p)| *p)
}
