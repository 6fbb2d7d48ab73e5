import type { Product } from 'tma-pay'

// Products without a photo get a coloured tile with their initials, so the demo needs no image hosting
// (and no emoji font, which many Linux machines, and CI, lack).
const hues: Record<string, number> = {
  'magic-book': 265,
  'crystal-pack': 190,
  'dragon-skin': 140,
  'wizard-pass': 35,
}

const initials = (title: string) =>
  title
    .split(/\s+/)
    .filter((word) => /^[A-Z]/.test(word))
    .map((word) => word[0])
    .join('')
    .slice(0, 2)

export function ProductPicture({ product }: { product: Product }) {
  if (product.photoUrl) return <img className="picture" src={product.photoUrl} alt="" />
  const hue = hues[product.id] ?? (product.id.length * 47) % 360
  return (
    <div
      className="picture"
      aria-hidden
      style={{ background: `linear-gradient(135deg, hsl(${hue} 70% 60%), hsl(${hue + 40} 70% 45%))` }}
    >
      {initials(product.title)}
    </div>
  )
}
