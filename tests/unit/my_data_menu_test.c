/*
 * my_data_menu_test.c - the "my data" menu's screens, decisions and stored
 * state: exact screens, the confirmation steps, a round trip of the state,
 * and state blobs that must be refused (they come back from Redis).
 */
#include <string.h>

#include "my_data.h"
#include "raia_err.h"
#include "test_help.h"

static struct pg_lookup_flows two_flows(void)
{
    struct pg_lookup_flows f = {.n = 2};
    strcpy(f.flow_id[0], "disability-wg-ss");
    strcpy(f.flow_id[1], "community-report");
    f.sessions[0] = f.sessions[1] = 1;
    return f;
}

static const char *const titles[] = {"Washington Group Short Set on Functioning",
                                     "Community service report"};

static void test_screens(void)
{
    struct pg_lookup_flows f = two_flows();
    struct my_data_state st;
    char screen[MY_DATA_SCREEN_MAX];
    test_cond("a list waits for a choice",
              my_data_start(&f, titles, &st, screen, sizeof screen) == MY_DATA_NONE);
    test_cond("list screen exact",
              strcmp(screen, "Your answers are kept for:\n1 Washington Group Short Set on\n"
                             "2 Community service report\n9 Erase all my answers\n0 Exit") == 0);
    test_cond("the list fits one USSD screen", strlen(screen) <= 182);
    test_cond("a number off the list shows it again",
              my_data_step(&st, "5", screen, sizeof screen) == MY_DATA_NONE &&
                  strncmp(screen, "Please choose a number from the list.\n", 38) == 0);
    test_cond("picking one asks to confirm",
              my_data_step(&st, " 2 ", screen, sizeof screen) == MY_DATA_NONE &&
                  st.stage == MY_DATA_WITHDRAW && st.picked == 1 &&
                  strstr(screen, "Withdraw from Community service report?") != NULL);
    test_cond("confirming withdraws that flow",
              my_data_step(&st, "1", screen, sizeof screen) == MY_DATA_DO_WITHDRAW &&
                  strcmp(st.flow_id[st.picked], "community-report") == 0);

    my_data_start(&f, titles, &st, screen, sizeof screen);
    test_cond("9 asks before erasing everything",
              my_data_step(&st, "9", screen, sizeof screen) == MY_DATA_NONE &&
                  st.stage == MY_DATA_ERASE && strstr(screen, "cannot be undone") != NULL);
    test_cond("anything but 1 changes nothing",
              my_data_step(&st, "yes", screen, sizeof screen) == MY_DATA_EXIT &&
                  strcmp(screen, "Nothing was changed. Thank you.") == 0);
    st.stage = MY_DATA_ERASE;
    test_cond("1 erases everything",
              my_data_step(&st, "1", screen, sizeof screen) == MY_DATA_DO_ERASE);
    my_data_start(&f, titles, &st, screen, sizeof screen);
    test_cond("0 exits", my_data_step(&st, "0", screen, sizeof screen) == MY_DATA_EXIT);

    struct pg_lookup_flows none = {0};
    test_cond("nothing held: said so, and the menu ends",
              my_data_start(&none, titles, &st, screen, sizeof screen) == MY_DATA_EXIT &&
                  strstr(screen, "No answers from this phone") != NULL);
}

static void test_long_lists_fit(void)
{
    struct pg_lookup_flows f = {.n = PG_LOOKUP_FLOWS_MAX};
    const char *long_titles[PG_LOOKUP_FLOWS_MAX];
    for (size_t i = 0; i < f.n; i++) {
        strcpy(f.flow_id[i], "flow");
        long_titles[i] = "A very long survey title | that goes on and on and on";
    }
    struct my_data_state st;
    char screen[MY_DATA_SCREEN_MAX];
    my_data_start(&f, long_titles, &st, screen, sizeof screen);
    test_cond("eight long titles: the list still fits", strlen(screen) <= 182 && st.n >= 1);
    test_cond("titles lose the state separator", strchr(st.title[0], '|') == NULL);
}

static void test_state(void)
{
    struct pg_lookup_flows f = two_flows();
    struct my_data_state st, back;
    char screen[MY_DATA_SCREEN_MAX], blob[512];
    my_data_start(&f, titles, &st, screen, sizeof screen);
    my_data_step(&st, "2", screen, sizeof screen);
    int n = my_data_encode(&st, blob, sizeof blob);
    test_cond("state encodes", n > 0 && my_data_is_state(blob, (size_t)n));
    test_cond("and decodes to the same", my_data_decode(blob, (size_t)n, &back) == 0 &&
                                             back.stage == st.stage && back.picked == st.picked &&
                                             back.n == st.n &&
                                             strcmp(back.title[1], st.title[1]) == 0 &&
                                             strcmp(back.flow_id[0], st.flow_id[0]) == 0);
    test_cond("a survey's state is not the menu's", !my_data_is_state("1|abc", 5));
    static const char *const bad[] = {
        "M|",          "M|3|0|0",           "M|0|0|9",       "M|1|2|2|a|A|b|B",
        "M|0|0|1|a",   "M|0|0|1|a|A|extra", "M|x|0|0",       "M|0|-1|0",
        "M|0|0|2|a|A", "M|0|0|0|",          "M|01234567|0|0"};
    int refused = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused += my_data_decode(bad[i], strlen(bad[i]), &back) == -RAIA_EPROTO;
    test_cond("every malformed state is refused", refused == (int)(sizeof bad / sizeof bad[0]));
}

int main(void)
{
    test_screens();
    test_long_lists_fit();
    test_state();
    TEST_REPORT();
}
