// Our side of the lab's one connection, "lab": west 198.51.100.0/25 (@west.lab.example) and
// east 198.51.100.128/25 (@east.lab.example) over the veth pair. One text serves a daemon on
// either end: `listen` says which address it owns, and the core orients left/right by it.
export function labConf(o: { listen: string; west: string; east: string; ike: string; esp: string; extra?: string }): string {
  return `config setup
	listen=${o.listen}
conn lab
	left=${o.west}
	leftid=@west.lab.example
	leftsubnet=198.51.100.0/25
	right=${o.east}
	rightid=@east.lab.example
	rightsubnet=198.51.100.128/25
	authby=secret
	ike=${o.ike}
	esp=${o.esp}
	auto=add
${o.extra ?? ""}`;
}

export const labSecrets = (psk: string) => `@west.lab.example @east.lab.example : PSK "${psk}"\n`;
