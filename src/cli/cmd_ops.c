/* pixpipe ops [NAME] [--json]: the filter registry, for people and programs. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pixpipe/filter.h"
#include "pp_config.h"
#if PP_HAVE_JSON
#include <jansson.h>
#endif

static const char ops_help[] =
    "Usage: pixpipe ops [NAME] [--json]\n"
    "List every filter with its parameters (type, default, range or choices)\n"
    "and a one-line description; with NAME, show that filter in full.\n"
    "\n"
    "      --json               the same as JSON\n"
    "  -h, --help               this help\n";

static void print_range(const pp_param_def *p)
{
    switch (p->type) {
    case PP_PARAM_BOOL: printf("true|false"); break;
    case PP_PARAM_ENUM:
        for (int i = 0; p->choices[i]; i++)
            printf("%s%s", i ? "|" : "", p->choices[i]);
        break;
    case PP_PARAM_FLOATS: printf("list of %g..%g", p->min, p->max); break;
    default:
        printf("%g..%g%s", p->min, p->max, (p->flags & PP_PARAM_ODD) ? " odd" : "");
        break;
    }
}

static void print_default(const pp_param_def *p)
{
    switch (p->type) {
    case PP_PARAM_BOOL: printf("%s", p->def != 0 ? "true" : "false"); break;
    case PP_PARAM_ENUM: printf("%s", p->choices[(int)p->def]); break;
    case PP_PARAM_FLOATS: printf("(required)"); break;
    default: printf("%g", p->def); break;
    }
}

static void print_filter(const pp_filter_def *f, bool full)
{
    printf("%-10s %-13s %s\n", f->name, pp_filter_kind_name(f->kind), f->help);
    for (int i = 0; i < f->nparams; i++) {
        const pp_param_def *p = &f->params[i];
        printf("    %-10s %-6s default ", p->name, pp_param_type_name(p->type));
        print_default(p);
        printf(", ");
        print_range(p);
        if (full && p->help)
            printf("\n               %s", p->help);
        printf("\n");
    }
    if (full) {
        printf("    colour:  %s\n", f->colour ? f->colour : "per channel");
        printf("    OpenCV:  %s\n", f->opencv ? f->opencv : "(no OpenCV equivalent)");
    }
}

#if PP_HAVE_JSON
static json_t *param_json(const pp_param_def *p)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "name", p->name, "type",
                          pp_param_type_name(p->type), "help", p->help ? p->help : "");
    switch (p->type) {
    case PP_PARAM_BOOL: json_object_set_new(o, "default", json_boolean(p->def != 0)); break;
    case PP_PARAM_ENUM: {
        json_t *c = json_array();
        for (int i = 0; p->choices[i]; i++)
            json_array_append_new(c, json_string(p->choices[i]));
        json_object_set_new(o, "choices", c);
        json_object_set_new(o, "default", json_string(p->choices[(int)p->def]));
        break;
    }
    case PP_PARAM_INT:
        json_object_set_new(o, "default", json_integer((json_int_t)p->def));
        json_object_set_new(o, "min", json_integer((json_int_t)p->min));
        json_object_set_new(o, "max", json_integer((json_int_t)p->max));
        if (p->flags & PP_PARAM_ODD)
            json_object_set_new(o, "odd", json_true());
        break;
    default:
        if (p->type == PP_PARAM_FLOAT)
            json_object_set_new(o, "default", json_real(p->def));
        json_object_set_new(o, "min", json_real(p->min));
        json_object_set_new(o, "max", json_real(p->max));
        break;
    }
    return o;
}

static json_t *filter_json(const pp_filter_def *f)
{
    json_t *params = json_array();
    for (int i = 0; i < f->nparams; i++)
        json_array_append_new(params, param_json(&f->params[i]));
    return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:o}", "name", f->name, "kind",
                     pp_filter_kind_name(f->kind), "help", f->help, "opencv", f->opencv,
                     "colour", f->colour, "params", params);
}
#endif

int cmd_ops(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    bool json = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (opt == OPT_JSON)
            json = true;
        else if (opt == 'h') {
            printf("%s", ops_help);
            return CLI_OK;
        } else
            return cli_usage("ops", "unknown option");
    }
    if (argc - optind > 1)
        return cli_usage("ops", "give at most one filter name");
    const pp_filter_def *one = NULL;
    if (optind < argc) {
        one = pp_filter_find(argv[optind]);
        if (!one) {
            const char *names[128];
            size_t n = pp_filter_count();
            for (size_t i = 0; i < n && i < 127; i++)
                names[i] = pp_filter_at(i)->name;
            names[n < 127 ? n : 127] = NULL;
            const char *near = pp_suggest(argv[optind], names);
            return cli_usage("ops", "unknown filter \"%s\"%s%s%s", argv[optind],
                             near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
        }
    }
    if (json) {
#if PP_HAVE_JSON
        json_t *out;
        if (one) {
            out = filter_json(one);
        } else {
            out = json_array();
            for (size_t i = 0; i < pp_filter_count(); i++)
                json_array_append_new(out, filter_json(pp_filter_at(i)));
        }
        json_dumpf(out, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(out);
        return CLI_OK;
#else
        fprintf(stderr, "pixpipe: ops --json: this pixpipe was built without jansson\n");
        return pp_exit_code(PP_ENOTBUILT);
#endif
    }
    if (one) {
        print_filter(one, true);
        return CLI_OK;
    }
    for (size_t i = 0; i < pp_filter_count(); i++)
        print_filter(pp_filter_at(i), false);
    return CLI_OK;
}
