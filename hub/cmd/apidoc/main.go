// Command apidoc prints docs/api.md, the API coverage table, from the registry.
package main

import (
	"fmt"

	"github.com/gokoji/gokoji/hub/api"
)

func main() { fmt.Print(api.NewRegistry().APITable()) }
