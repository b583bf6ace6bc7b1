package rpmhdr

type tagDef struct {
	id    int
	array bool // Python's rpm returns a list (empty when absent)
}

// headerFields are the main header's tags by rpm's names (RPMTAG_*), with
// whether rpm returns them as arrays.
var headerFields = map[string]tagDef{
	"HEADERI18NTABLE": {100, true},
	"NAME":            {1000, false}, "VERSION": {1001, false}, "RELEASE": {1002, false},
	"EPOCH": {1003, false}, "SERIAL": {1003, false},
	"SUMMARY": {1004, false}, "DESCRIPTION": {1005, false}, "BUILDTIME": {1006, false},
	"BUILDHOST": {1007, false}, "INSTALLTIME": {1008, false}, "SIZE": {1009, false},
	"DISTRIBUTION": {1010, false}, "VENDOR": {1011, false}, "GIF": {1012, false}, "XPM": {1013, false},
	"LICENSE": {1014, false}, "COPYRIGHT": {1014, false}, "PACKAGER": {1015, false},
	"GROUP": {1016, false}, "SOURCE": {1018, true}, "PATCH": {1019, true}, "URL": {1020, false},
	"OS": {1021, false}, "PREIN": {1023, false}, "POSTIN": {1024, false},
	"PREUN": {1025, false}, "POSTUN": {1026, false}, "OLDFILENAMES": {1027, true},
	"FILESIZES": {1028, true}, "FILESTATES": {1029, true}, "FILEMODES": {1030, true},
	"FILERDEVS": {1033, true}, "FILEMTIMES": {1034, true}, "FILEDIGESTS": {1035, true},
	"FILEMD5S": {1035, true}, "FILELINKTOS": {1036, true}, "FILEFLAGS": {1037, true},
	"FILEUSERNAME": {1039, true}, "FILEGROUPNAME": {1040, true}, "ICON": {1043, false},
	"SOURCERPM": {1044, false}, "FILEVERIFYFLAGS": {1045, true}, "ARCHIVESIZE": {1046, false},
	"PROVIDENAME": {1047, true}, "PROVIDES": {1047, true}, "REQUIREFLAGS": {1048, true},
	"REQUIRENAME": {1049, true}, "REQUIRES": {1049, true}, "REQUIREVERSION": {1050, true},
	"NOSOURCE": {1051, true}, "NOPATCH": {1052, true}, "CONFLICTFLAGS": {1053, true},
	"CONFLICTNAME": {1054, true}, "CONFLICTS": {1054, true}, "CONFLICTVERSION": {1055, true},
	"EXCLUDEARCH": {1059, true}, "EXCLUDEOS": {1060, true}, "EXCLUSIVEARCH": {1061, true},
	"EXCLUSIVEOS": {1062, true}, "RPMVERSION": {1064, false}, "TRIGGERSCRIPTS": {1065, true},
	"TRIGGERNAME": {1066, true}, "TRIGGERVERSION": {1067, true}, "TRIGGERFLAGS": {1068, true},
	"TRIGGERINDEX": {1069, true}, "VERIFYSCRIPT": {1079, false}, "CHANGELOGTIME": {1080, true},
	"CHANGELOGNAME": {1081, true}, "CHANGELOGTEXT": {1082, true}, "PREINPROG": {1085, true},
	"POSTINPROG": {1086, true}, "PREUNPROG": {1087, true}, "POSTUNPROG": {1088, true},
	"BUILDARCHS": {1089, true}, "OBSOLETENAME": {1090, true}, "OBSOLETES": {1090, true},
	"VERIFYSCRIPTPROG": {1091, true}, "TRIGGERSCRIPTPROG": {1092, true}, "COOKIE": {1094, false},
	"FILEDEVICES": {1095, true}, "FILEINODES": {1096, true}, "FILELANGS": {1097, true},
	"PREFIXES": {1098, true}, "INSTPREFIXES": {1099, true}, "SOURCEPACKAGE": {1106, false},
	"PROVIDEFLAGS": {1112, true}, "PROVIDEVERSION": {1113, true}, "OBSOLETEFLAGS": {1114, true},
	"OBSOLETEVERSION": {1115, true}, "DIRINDEXES": {1116, true}, "BASENAMES": {1117, true},
	"DIRNAMES": {1118, true}, "OPTFLAGS": {1122, false}, "DISTURL": {1123, false},
	"PAYLOADFORMAT": {1124, false}, "PAYLOADCOMPRESSOR": {1125, false}, "PAYLOADFLAGS": {1126, false},
	"RHNPLATFORM": {1131, false}, "PLATFORM": {1132, false}, "FILECOLORS": {1140, true},
	"FILECLASS": {1141, true}, "CLASSDICT": {1142, true}, "FILEDEPENDSX": {1143, true},
	"FILEDEPENDSN": {1144, true}, "DEPENDSDICT": {1145, true}, "SOURCEPKGID": {1146, false},
	"POLICIES": {1150, true}, "PRETRANS": {1151, false}, "POSTTRANS": {1152, false},
	"PRETRANSPROG": {1153, true}, "POSTTRANSPROG": {1154, true}, "DISTTAG": {1155, false},
	"FILEDIGESTALGOS": {1177, true}, "LONGFILESIZES": {5008, true}, "LONGSIZE": {5009, false},
	"FILECAPS": {5010, true}, "FILEDIGESTALGO": {5011, false}, "BUGURL": {5012, false},
	"EVR": {5013, false}, "NEVR": {5015, false}, "NEVRA": {5016, false},
	"HEADERCOLOR": {5017, false}, "VCS": {5034, false},
	"ENCODING": {5062, false}, "RECOMMENDNAME": {5046, true}, "RECOMMENDS": {5046, true},
	"RECOMMENDVERSION": {5047, true}, "RECOMMENDFLAGS": {5048, true},
	"SUGGESTNAME": {5049, true}, "SUGGESTS": {5049, true}, "SUGGESTVERSION": {5050, true},
	"SUGGESTFLAGS": {5051, true}, "SUPPLEMENTNAME": {5052, true}, "SUPPLEMENTS": {5052, true},
	"SUPPLEMENTVERSION": {5053, true}, "SUPPLEMENTFLAGS": {5054, true},
	"ENHANCENAME": {5055, true}, "ENHANCES": {5055, true}, "ENHANCEVERSION": {5056, true},
	"ENHANCEFLAGS": {5057, true}, "PAYLOADDIGEST": {5092, true}, "PAYLOADDIGESTALGO": {5093, false},
	"MODULARITYLABEL": {5096, false}, "PAYLOADDIGESTALT": {5097, true},
}

// sigFields are the signature header's tags under the names rpm gives them
// once it merges the signature into the header.
var sigFields = map[string]tagDef{
	"SIGSIZE": {sigSize, false}, "SIGPGP": {sigPGP, false}, "SIGMD5": {sigMD5, false},
	"SIGGPG": {sigGPG, false}, "DSAHEADER": {sigDSA, false}, "RSAHEADER": {sigRSA, false},
	"LONGSIGSIZE": {sigLongSize, false}, "LONGARCHIVESIZE": {271, false},
	"SHA1HEADER": {269, false}, "SHA256HEADER": {273, false},
}
